-- Hubs whose list gives no 地区名 cannot be matched to grant districts.
select
    'info' as severity,
    source_file as file,
    source_row as "row",
    '地区名' as "column",
    hub_name as value,
    '地区名が空のため補助金の地区と照合できません' as message
from hubs
where district_name is null
