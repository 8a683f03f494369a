-- mod_esess_tap: writes every client message stanza the server routes to a
-- file (one stanza per line), so the end-to-end tests can check that the
-- server never saw a plaintext.  Test-only; loaded by tests/e2e.
local tap_path = module:get_option_string("esess_tap_file");

local function tap(event)
	if not tap_path then return; end
	local f = io.open(tap_path, "a");
	if f then
		f:write(tostring(event.stanza), "\n");
		f:close();
	end
end

module:hook("pre-message/bare", tap, 1000);
module:hook("pre-message/full", tap, 1000);
module:hook("pre-message/host", tap, 1000);
