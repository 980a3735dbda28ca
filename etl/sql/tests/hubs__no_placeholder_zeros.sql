-- A hub has people and hamlets; 0 stands in for "unknown" and must be blank instead.
select source_file, source_row, population, settlements
from hubs
where population = 0 or settlements = 0
