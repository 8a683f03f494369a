-- mod_esess_vmcount: counts the Lua VM instructions the server runs, so that
-- `make bench-stanza` (tests/e2e/bench-stanza.py) can give each stanza
-- shape's cost in a figure a busy machine does not move (CPU time does).
-- An <iq type='get'><count xmlns='urn:xmpp:esessions:bench:vmcount'/></iq>
-- to the host is answered with the count so far in the <count/> text.
-- Test-only, benchmark only: it slows the server several-fold.
--
-- A count hook fires every PERIOD instructions of the thread it is set on.
-- Prosody handles stanzas in coroutines (util.async), which copies the hook
-- of the thread that creates the runner and may have none, so every hook
-- set on a coroutine is replaced by ours, and coroutines made by
-- coroutine.create/wrap get it from the start.  What a thread runs between
-- its last hook and a switch (under PERIOD) is lost: keep PERIOD small.
local st = require "util.stanza";

local NS = "urn:xmpp:esessions:bench:vmcount";
local PERIOD = 10;
local count = 0;

local function hook()
	count = count + PERIOD;
end

local real_sethook = debug.sethook;
debug.sethook = function(th, ...)
	if type(th) == "thread" then
		return real_sethook(th, hook, "", PERIOD);
	end
	return real_sethook(th, ...);
end

local cocreate = coroutine.create;
coroutine.create = function(f)
	local co = cocreate(f);
	real_sethook(co, hook, "", PERIOD);
	return co;
end
coroutine.wrap = function(f)
	local co = coroutine.create(f);
	return function(...)
		local r = table.pack(coroutine.resume(co, ...));
		if not r[1] then error(r[2], 0); end
		return table.unpack(r, 2, r.n);
	end
end

real_sethook(hook, "", PERIOD);
-- the main loop's thread (this module may be loaded from a coroutine)
module:add_timer(0, function()
	real_sethook(hook, "", PERIOD);
end);

module:hook("iq-get/host/" .. NS .. ":count", function(event)
	event.origin.send(st.reply(event.stanza):text_tag("count", tostring(count), { xmlns = NS }));
	return true;
end);
