{#- The vars checked against their rules (dbt_project.yml `var_rules`) before any node runs, so a
    mistyped value stops every dbt command with one line naming the var and what it may hold. The
    same rules are checked in Python by `netmob-tor build` (netmob_tor.params.check_vars);
    tests/test_params.py holds both checks to the same answers. -#}

{% macro validate_vars() %}
  {%- if not execute -%}{{ return('') }}{%- endif -%}
  {%- set rules = var('var_rules') -%}
  {%- set problems = [] -%}
  {%- set given = invocation_args_dict.get('vars') or {} -%}
  {%- if given is string -%}{%- set given = fromyaml(given) or {} -%}{%- endif -%}
  {%- for name in given if name not in rules -%}
    {%- do problems.append('var ' ~ name ~ ' is not a var of this project') -%}
  {%- endfor -%}
  {%- for name, rule in rules.items() -%}
    {%- set value = var(name, '__absent__') -%}
    {%- if value != '__absent__' -%}
      {%- set problem = var_rule_problem(name, value, rule) -%}
      {%- if problem -%}{%- do problems.append(problem) -%}{%- endif -%}
    {%- endif -%}
  {%- endfor -%}
  {%- if problems -%}
    {{ exceptions.raise_compiler_error(problems | join('; ') ~ ' (dbt_project.yml `var_rules`)') }}
  {%- endif -%}
  {{ return('') }}
{% endmacro %}


{% macro var_rule_problem(name, value, rule) %}
  {#- Why `value` breaks `rule` (one line), or '' (netmob_tor.params.rule_problem in Jinja). -#}
  {%- set words = {'string': 'a string', 'integer': 'a whole number', 'number': 'a number', 'boolean': 'true or false',
      'date': 'a date YYYY-MM-DD', 'timezone': 'an IANA time zone such as Europe/Paris',
      'identifier': 'a plain name (letters, digits, _)', 'list': 'a list', 'mapping': 'a mapping {key: value}'} -%}
  {%- if 'allowed' in rule -%}
    {%- set ns = namespace(ok=false) -%}
    {%- for a in rule.allowed -%}
      {%- if (a is none and value is none) or (a is not none and value is not none and value is string and a is string and value == a) -%}
        {%- set ns.ok = true -%}
      {%- endif -%}
    {%- endfor -%}
    {%- if not ns.ok -%}
      {%- set shown = [] -%}{%- for a in rule.allowed -%}{%- do shown.append('null' if a is none else a) -%}{%- endfor -%}
      {{ return("var " ~ name ~ " is " ~ (value | tojson) ~ "; allowed: " ~ shown | join(', ')) }}
    {%- endif -%}
    {{ return('') }}
  {%- endif -%}
  {%- set kind = rule.get('type', 'string') -%}
  {%- if value is none -%}
    {{ return('' if rule.get('nullable') else "var " ~ name ~ " is null; it must be " ~ words[kind]) }}
  {%- endif -%}
  {%- set ok = var_type_ok(kind, value) -%}
  {%- if not ok -%}{{ return("var " ~ name ~ " is " ~ (value | string | tojson) ~ "; it must be " ~ words[kind]) }}{%- endif -%}
  {%- if kind == 'number' and value is string -%}{%- set value = value | float -%}{%- endif -%}
  {%- if kind in ('integer', 'number') -%}
    {%- set said = "var " ~ name ~ " is " ~ value ~ "; it must be " -%}
    {%- if rule.get('min') is not none and value < rule.min -%}{{ return(said ~ "at least " ~ rule.min) }}{%- endif -%}
    {%- if rule.get('max') is not none and value > rule.max -%}{{ return(said ~ "at most " ~ rule.max) }}{%- endif -%}
    {%- if rule.get('above') is not none and value <= rule.above -%}{{ return(said ~ "above " ~ rule.above) }}{%- endif -%}
  {%- endif -%}
  {%- if rule.get('at_least') and var(rule.at_least, none) is not none -%}
    {%- set other = var(rule.at_least) -%}
    {%- if (value | string if kind == 'date' else value) < (other | string if kind == 'date' else other) -%}
      {{ return("var " ~ name ~ " is " ~ value ~ "; it must be on or after var " ~ rule.at_least ~ " (" ~ other ~ ")") }}
    {%- endif -%}
  {%- endif -%}
  {%- if rule.get('at_most') and var(rule.at_most, none) is not none and value > var(rule.at_most) -%}
    {{ return("var " ~ name ~ " is " ~ value ~ "; it must be at most var " ~ rule.at_most ~ " (" ~ var(rule.at_most) ~ ")") }}
  {%- endif -%}
  {%- if kind == 'list' and rule.get('items') -%}
    {%- for item in value -%}
      {%- set problem = var_rule_problem(name ~ '[' ~ loop.index0 ~ ']', item, rule['items']) -%}
      {%- if problem -%}{{ return(problem) }}{%- endif -%}
    {%- endfor -%}
  {%- endif -%}
  {%- if kind == 'mapping' and rule.get('keys') -%}
    {%- set unknown = [] -%}
    {%- for key in value if key not in rule['keys'] -%}{%- do unknown.append(key) -%}{%- endfor -%}
    {%- if unknown -%}
      {{ return("var " ~ name ~ " has unknown key(s) " ~ unknown | sort | join(', ') ~ "; allowed: " ~ rule['keys'] | join(', ')) }}
    {%- endif -%}
  {%- endif -%}
  {{ return('') }}
{% endmacro %}


{% macro var_type_ok(kind, value) %}
  {#- Whether `value` is of var type `kind` (the types of var_rules). -#}
  {%- if kind == 'string' -%}{{ return(value is string) }}
  {%- elif kind == 'integer' -%}{{ return(value is number and value is not sameas true and value is not sameas false and (value | int) == value and '.' not in (value | string)) }}
  {%- elif kind == 'number' -%}
    {#- a number written as text reads as one (YAML reads 1e-05, without a dot, as a string) -#}
    {{ return((value is number and value is not sameas true and value is not sameas false)
        or (value is string and modules.re.fullmatch('[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?', value | trim) is not none)) }}
  {%- elif kind == 'boolean' -%}{{ return(value is sameas true or value is sameas false) }}
  {%- elif kind == 'date' -%}{{ return(modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', value | string) is not none and var_date_ok(value | string)) }}
  {%- elif kind == 'timezone' -%}{{ return(value is string and value in modules.pytz.all_timezones_set) }}
  {%- elif kind == 'identifier' -%}{{ return(value is string and modules.re.fullmatch('[A-Za-z0-9_]+', value) is not none) }}
  {%- elif kind == 'list' -%}{{ return(value is iterable and value is not string and value is not mapping) }}
  {%- elif kind == 'mapping' -%}{{ return(value is mapping) }}
  {%- endif -%}
  {{ return(false) }}
{% endmacro %}


{% macro var_date_ok(text) %}
  {#- Whether 'YYYY-MM-DD' is a real calendar day. -#}
  {%- set y, m, d = text[:4] | int, text[5:7] | int, text[8:] | int -%}
  {%- if m < 1 or m > 12 or d < 1 -%}{{ return(false) }}{%- endif -%}
  {%- set first_of_next = (modules.datetime.date(y, m, 28) + modules.datetime.timedelta(days=4)).replace(day=1) -%}
  {{ return(d <= (first_of_next - modules.datetime.timedelta(days=1)).day) }}
{% endmacro %}


{% macro var_rule_cases(cases) %}
  {#- run-operation for tests/test_params.py: print `VAR_RULE_CASES <json>`, each case's problem ('' when
      none) as this macro judges it, to be compared with netmob_tor.params.rule_problem. -#}
  {%- set rules = var('var_rules') -%}
  {%- set out = [] -%}
  {%- for case in cases -%}
    {%- do out.append(var_rule_problem(case.name, case.value, rules[case.name])) -%}
  {%- endfor -%}
  {%- do print('VAR_RULE_CASES ' ~ tojson(out)) -%}
{% endmacro %}
