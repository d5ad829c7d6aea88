/*
** track.h: imported tables that remember where each of their fields was
** last written, so that a variant's mistake is reported at the line that
** made it ("m.k = 1.5" at variant.lua:4), not at its import line.
**
** import() hands the importing file a proxy of the imported table: an empty
** table whose metamethods read and write the real one. Every table read
** through a proxy comes back as a proxy too, so `m.dimensions[2].weight = x`
** and `for _, d in ipairs(m.dimensions) do d.weight = x end` are both seen.
** A write records the file and line of the script code that made it (and a
** sequence number: which write came last). #, ipairs, pairs, table.insert,
** table.remove and table.sort work on proxies; next, rawget, rawset and
** rawlen see the empty proxy (a methodology has no need of them on an
** imported table).
**
** When the script is done, track_finish replaces every proxy reachable from
** its result by the real table, and builds the positions of the fields of
** the tables that are still reachable.
*/
#ifndef AF_TRACK_H
#define AF_TRACK_H

typedef struct lua_State lua_State;

/* Set up tracking in a sandbox's state (after the standard libraries). */
void track_open(lua_State *L);
/* Replace the table at the top of the stack by its proxy (a proxy stays). */
void track_wrap(lua_State *L);
/* The result at the top of the stack becomes a list { result, positions }:
** the result without proxies, and positions[table][key] = { file, line, seq }
** for each tracked write to a table the result still reaches. */
void track_finish(lua_State *L);
/* After a failed run whose message msg says a nil value was indexed at
** file:line: when the nil came from reading a list item that is not there
** (m.dimensions[5]), a better message: what the list holds and how to find
** an item by its id (helper(NAME, "id")). NULL otherwise; the caller frees. */
char *track_explain_nil(lua_State *L, const char *msg, const char *name);

#endif
