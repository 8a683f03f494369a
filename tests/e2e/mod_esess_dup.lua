-- mod_esess_dup: delivers the first client message whose text holds the
-- string esess_dup_match twice, the copy right after the original, as a
-- stream resumption may resend a stanza (SECURITY 52).  Test-only; loaded by
-- tests/e2e, idle unless esess_dup_match is set.
local st = require "util.stanza";
local match = module:get_option_string("esess_dup_match");
local done = false;

local function dup(event)
	if done or not match then return; end
	if not tostring(event.stanza):find(match, 1, true) then return; end
	done = true;
	local copy = st.clone(event.stanza);
	module:add_timer(0, function()
		module:log("info", "esess_dup: sent a copy");
		module:send(copy);
	end);
end

module:hook("pre-message/full", dup, 500);
