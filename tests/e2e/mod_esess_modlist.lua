-- mod_esess_modlist: once the server has started, writes the modules really
-- loaded (global "*" and per host, as Prosody's module manager has them) to
-- esess_modlist_file, so `make bench-e2e` can print what the server ran
-- (archiving and logging change its cost per stanza several-fold).  Hooks
-- no stanza.  Test-only; loaded by tests/e2e.
local modulemanager = require "core.modulemanager";
local out = module:get_option_string("esess_modlist_file");

local function names(host)
	local list = {};
	for name in pairs(modulemanager.get_modules(host) or {}) do
		list[#list + 1] = name;
	end
	table.sort(list);
	return table.concat(list, " ");
end

module:hook_global("server-started", function()
	if not out then return; end
	local f = io.open(out, "w");
	if not f then return; end
	f:write("*: ", names("*"), "\n");
	f:write(module.host, ": ", names(module.host), "\n");
	f:close();
end);
