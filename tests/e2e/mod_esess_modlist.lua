-- mod_esess_modlist: once the server has started, writes the modules really
-- loaded (global "*" and per host, as Prosody's module manager has them) and
-- the log levels it runs with to esess_modlist_file, so `make bench-e2e` can
-- print what the server ran (archiving and debug logging change its cost per
-- stanza several-fold).  Hooks no stanza.  Test-only; loaded by tests/e2e.
local modulemanager = require "core.modulemanager";
local configmanager = require "core.configmanager";
local out = module:get_option_string("esess_modlist_file");

local function names(host)
	local list = {};
	for name in pairs(modulemanager.get_modules(host) or {}) do
		list[#list + 1] = name;
	end
	table.sort(list);
	return table.concat(list, " ");
end

-- "warn to file" per sink of the global log option
local function log_levels()
	local log = configmanager.get("*", "log");
	if type(log) ~= "table" then return tostring(log); end
	local sinks = {};
	for _, sink in ipairs(log) do
		local levels = sink.levels;
		local min = type(levels) == "table" and (levels.min or table.concat(levels, ","))
			or tostring(levels);
		sinks[#sinks + 1] = tostring(min) .. " to " .. tostring(sink.to or "?");
	end
	return table.concat(sinks, "; ");
end

module:hook_global("server-started", function()
	if not out then return; end
	local f = io.open(out, "w");
	if not f then return; end
	f:write("modules *: ", names("*"), "\n");
	f:write("modules ", module.host, ": ", names(module.host), "\n");
	f:write("log: ", log_levels(), "\n");
	f:close();
end);
