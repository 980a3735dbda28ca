-- Amounts are yen, never negative; a grant never exceeds its eligible cost, nor that the total.
select source_file, source_row, total_cost_yen, eligible_cost_yen, grant_yen
from grants
where grant_yen < 0 or eligible_cost_yen < 0 or total_cost_yen < 0
   or grant_yen > eligible_cost_yen
   or eligible_cost_yen > total_cost_yen
   or (grant_yen = 0 and not is_withdrawn)
