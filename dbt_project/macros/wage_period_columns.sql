{#- The columns that say whose pay for which period a wage row is (payer, platform, worker, the month it
    belongs to, and the period's first and last day; keyed by period_start, hrss.wage_payment.v1 1.1.0), in
    the order every wage model selects them. -#}
{% macro wage_period_columns() -%}
    payer_uscc, platform_uscc, worker_key, pay_period, period_start, period_end
{%- endmacro %}
