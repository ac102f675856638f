local words = {}
for i = 1, 200 do words[i] = "word" .. i end
local text = table.concat(words, " ") .. " key=value, k2=v2 (nested (parens)) 12.5e3"
local acc = 0
for round = 1, 400 do
  for w in text:gmatch("%a+") do acc = acc + #w end
  local s = text:gsub("(%w+)=(%w+)", "%2=%1"); acc = acc + #s
  acc = acc + (text:find("k2=", 1, true) or 0) + (text:find("%b()") or 0) + (text:find("[%d]+%.") or 0)
  local a, b = text:match("(%d+)%.(%d+)"); acc = acc + #a + #b
end
return acc
