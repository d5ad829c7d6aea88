/*
** edit.h: the functions a variant finds what it edits with, by id instead
** of by position (positions move when the base changes):
**   indicator(m, "low_income")   dimension(m, "income")
**   band(m, "C")                 measure(m, "tsa")
** Each returns the table itself (edits through it change m), or raises an
** error naming the ids there are, with the closest one.
*/
#ifndef AF_EDIT_H
#define AF_EDIT_H

typedef struct lua_State lua_State;

/* Install the four functions as globals of a sandbox's state. */
void edit_open(lua_State *L);

#endif
