local acc = 0
for round = 1, 300 do
  local t = {}
  for i = 1, 1000 do t[i] = (i * 7919) % 100003 end
  table.sort(t)
  for i = 1, 50 do table.insert(t, 1, i); table.remove(t, 1) end
  acc = acc + #table.concat(t, ",") + select("#", table.unpack(t, 1, 500)) + #table.move(t, 1, 1000, 1, {})
end
return acc
