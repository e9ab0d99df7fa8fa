{#- The date `n` working days after `day` (n ≥ 1), on the official calendar (int_calendar__working_days):
    statutory holidays skipped, 调休 swapped workdays counted. Deadlines in 人社部令第45号 run in working days. -#}
{% macro add_working_days(day, n) -%}
    (select min(w.calendar_date) from {{ ref('int_calendar__working_days') }} w
     where w.is_workday and w.working_day_number = (
        select d.working_day_number + ({{ n }}) from {{ ref('int_calendar__working_days') }} d
        where d.calendar_date = ({{ day }})))
{%- endmacro %}

{#- The last working day on or before `day`: a payday that falls on a rest day or holiday is paid
    early, on the nearest working day before it (工资支付暂行规定 Art.7). -#}
{% macro working_day_on_or_before(day) -%}
    (select max(w.calendar_date) from {{ ref('int_calendar__working_days') }} w
     where w.is_workday and w.calendar_date <= ({{ day }}))
{%- endmacro %}

{#- `day` + `n` calendar days; when that day is not a working day, the next working day after it
    (民法典 Art.203: a period whose last day is a 法定休假日 ends on the day after the holiday; 法定休假日
    there includes rest days — weekends and the other days off of a holiday block — not only the
    statutory holidays of 全国年节及纪念日放假办法). -#}
{% macro add_calendar_days(day, n) -%}
    (select min(w.calendar_date) from {{ ref('int_calendar__working_days') }} w
     where w.is_workday and w.calendar_date >= cast(({{ day }}) as date) + cast(({{ n }}) as integer))
{%- endmacro %}

{#- True when `day` lies in a year without a State Council holiday notice (ref_calendar.is_provisional):
    working days there are weekends only, so a deadline computed on them may move. -#}
{% macro is_provisional_date(day) -%}
    (select w.is_provisional from {{ ref('int_calendar__working_days') }} w
     where w.calendar_date = cast(({{ day }}) as date))
{%- endmacro %}
