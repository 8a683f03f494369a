-- mod_esess_fault: a hostile server for the fault stage (tests/e2e/run-faults.py).
-- Test-only.  The test appends commands to the file named by the option
-- esess_fault_file, one per line: "<id> <fault> [argument]".  Each command
-- is taken once (by id) and armed; a message fault then applies to the next
-- encrypted message (a <c/> of XEP-0200 beside a <body>, i.e. one a user
-- typed, not a terminate or its acknowledgement) routed to a full JID.
--
--   drop             the stanza is not delivered
--   dup              delivered twice
--   reorder          held until the next encrypted message has gone first
--   delay S          delivered S seconds later (what follows goes first)
--   replay           delivered, then delivered again before the next one
--   flip             one base64 character of <data/> changed
--   beside TEXT      an XHTML-IM <html/> and a <subject/> saying TEXT added
--                    next to <c/>, and the placeholder body replaced by TEXT
--   plain TEXT       after it, a plaintext <body>TEXT</body> on the same
--                    thread from the same full JID
--   forge            a copy from another resource of the sender goes first
--   kick JID         (at once) the c2s session of the full JID is closed
--   mamerr USER      the next read of USER's XEP-0313 preferences (an iq
--                    get of urn:xmpp:mam:2 prefs) gets a transient error
--                    (wait/resource-constraint) instead of mod_mam's answer
--   mamnodefault USER  that read is answered with preferences that have no
--                    'default' attribute (and empty lists)
--   pepconferr USER  the next XEP-0060 owner configure (an iq set of
--                    pubsub#owner <configure/>) from USER is refused
--                    (cancel/forbidden) instead of mod_pep's answer
--
-- Every action is appended to esess_fault_log ("<id> <fault> done"), so the
-- test waits for it instead of sleeping.
local st = require "util.stanza";

local ctl_path = module:get_option_string("esess_fault_file");
local log_path = module:get_option_string("esess_fault_log");
local NS_C = "http://www.xmpp.org/extensions/xep-0200.html#ns";

local seen = {};      -- command ids already taken
local armed = {};     -- message faults waiting for a stanza, in order
local held = nil;     -- { stanza, to, id, fault } waiting for the next message
local mamerr = nil;   -- an armed "mamerr": { id, user }
local conferr = nil;  -- an armed "pepconferr": { id, user }
local passing = {};   -- stanzas we deliver ourselves: not faulted again

local function note(id, what)
	if not log_path then return; end
	local f = io.open(log_path, "a");
	if f then
		f:write(tostring(id), " ", what, "\n");
		f:close();
	end
end

local function deliver(stanza)
	local session = prosody.full_sessions[stanza.attr.to];
	if session then
		passing[stanza] = true;
		session.send(stanza);
		passing[stanza] = nil;
	end
end

local function read_commands()
	if not ctl_path then return; end
	local f = io.open(ctl_path, "r");
	if not f then return; end
	for line in f:lines() do
		local id, fault, arg = line:match("^(%S+)%s+(%S+)%s*(.*)$");
		if id and not seen[id] then
			seen[id] = true;
			if fault == "pepconferr" then
				conferr = { id = id, user = arg };
				note(id, fault .. " armed");
			elseif fault == "mamerr" or fault == "mamnodefault" then
				mamerr = { id = id, user = arg, fault = fault };
				note(id, fault .. " armed");
			elseif fault == "kick" then
				local session = prosody.full_sessions[arg];
				if session then
					session:close();
					note(id, "kick done");
				else
					note(id, "kick nosession");
				end
			else
				table.insert(armed, { id = id, fault = fault, arg = arg });
				note(id, fault .. " armed");
			end
		end
	end
	f:close();
end

local function is_encrypted_message(stanza)
	return stanza.name == "message" and stanza:get_child("c", NS_C) ~= nil
		and stanza:get_child("body") ~= nil;
end

local function flip(stanza)
	local c = stanza:get_child("c", NS_C);
	local data = c and c:get_child("data");
	local text = data and data[1];
	if type(text) ~= "string" or #text < 8 then return false; end
	-- a character in the middle, swapped for another valid one
	local i = math.floor(#text / 2);
	local ch = text:sub(i, i);
	local repl = (ch == "A") and "B" or "A";
	data[1] = text:sub(1, i - 1) .. repl .. text:sub(i + 1);
	return true;
end

local function on_message(event)
	local stanza = event.stanza;
	if passing[stanza] then return; end
	read_commands();
	if not is_encrypted_message(stanza) then return; end

	-- a held stanza goes right after this one
	if held then
		local h = held;
		held = nil;
		if h.fault == "replay" then
			deliver(h.stanza);
			note(h.id, "replay done");
			return;
		end
		module:add_timer(0, function ()
			deliver(h.stanza);
			note(h.id, h.fault .. " done");
		end);
		return;
	end

	local cmd = table.remove(armed, 1);
	if not cmd then return; end
	local fault, id, arg = cmd.fault, cmd.id, cmd.arg;
	if fault == "drop" then
		note(id, "drop done");
		return true;
	elseif fault == "dup" then
		local copy = st.clone(stanza);
		module:add_timer(0, function ()
			deliver(copy);
			note(id, "dup done");
		end);
		return;
	elseif fault == "reorder" then
		held = { stanza = st.clone(stanza), id = id, fault = fault };
		note(id, "reorder holding");
		return true;
	elseif fault == "delay" then
		local copy = st.clone(stanza);
		module:add_timer(tonumber(arg) or 2, function ()
			deliver(copy);
			note(id, "delay done");
		end);
		return true;
	elseif fault == "replay" then
		held = { stanza = st.clone(stanza), id = id, fault = fault };
		note(id, "replay recorded");
		return;
	elseif fault == "flip" then
		if flip(stanza) then note(id, "flip done"); end
		return;
	elseif fault == "beside" then
		local body = stanza:get_child("body");
		for i = #body, 1, -1 do body[i] = nil; end
		body:text(arg);
		stanza:tag("subject"):text(arg):up();
		stanza:tag("html", { xmlns = "http://jabber.org/protocol/xhtml-im" })
			:tag("body", { xmlns = "http://www.w3.org/1999/xhtml" }):text(arg):up():up();
		note(id, "beside done");
		return;
	elseif fault == "plain" then
		local thread = stanza:get_child_text("thread");
		local m = st.message({ from = stanza.attr.from, to = stanza.attr.to, type = "chat" })
			:tag("body"):text(arg):up();
		if thread then m:tag("thread"):text(thread):up(); end
		module:add_timer(0, function ()
			deliver(m);
			note(id, "plain done");
		end);
		return;
	elseif fault == "forge" then
		local copy = st.clone(stanza);
		local bare = (stanza.attr.from or ""):match("^([^/]*)");
		copy.attr.from = bare .. "/forged";
		deliver(copy);
		note(id, "forge done");
		return;
	end
	note(id, "unknown " .. fault);
end

-- a restarted server must not arm again what it already did: every command
-- in the file when the module loads is taken as seen
do
	local f = ctl_path and io.open(ctl_path, "r");
	if f then
		for line in f:lines() do
			local id = line:match("^(%S+)");
			if id then seen[id] = true; end
		end
		f:close();
	end
end

module:hook("pre-message/full", on_message, 500);

-- before mod_mam, which answers at the default priority
module:hook("iq/self/urn:xmpp:mam:2:prefs", function (event)
	read_commands();
	if not mamerr or event.stanza.attr.type ~= "get" or
	   event.origin.username ~= mamerr.user then
		return;
	end
	local id, fault = mamerr.id, mamerr.fault;
	mamerr = nil;
	if fault == "mamnodefault" then
		event.origin.send(st.reply(event.stanza)
			:tag("prefs", { xmlns = "urn:xmpp:mam:2" }):tag("always"):up():tag("never"));
	else
		event.origin.send(st.error_reply(event.stanza, "wait", "resource-constraint"));
	end
	note(id, fault .. " done");
	return true;
end, 1000);

-- before mod_pep, which answers at the default priority; a configure of
-- one's own PEP node comes without 'to' (self) or to the bare JID
local function on_pep_owner(event)
	read_commands();
	local stanza = event.stanza;
	if not conferr or stanza.attr.type ~= "set" or event.origin.username ~= conferr.user then
		return;
	end
	local pubsub = stanza.tags[1];
	if not pubsub or not pubsub:get_child("configure") then
		return;
	end
	local id = conferr.id;
	conferr = nil;
	event.origin.send(st.error_reply(stanza, "cancel", "forbidden"));
	note(id, "pepconferr done");
	return true;
end
module:hook("iq/self/http://jabber.org/protocol/pubsub#owner:pubsub", on_pep_owner, 1000);
module:hook("iq/bare/http://jabber.org/protocol/pubsub#owner:pubsub", on_pep_owner, 1000);

-- commands that need no stanza (kick) are read on a timer too
module:add_timer(0.1, function ()
	read_commands();
	return 0.1;
end);
