/* SPDX-License-Identifier: GPL-2.0 */
/* Attribute names from the netlink spec (user/attr-names.c is generated). */
#ifndef CALPERF_ATTR_NAMES_H
#define CALPERF_ATTR_NAMES_H

/* The name of attribute @type of attribute set @set, or NULL. */
const char *cp_attr_name(const char *set, int type);
/* The set a nest attribute holds, or NULL if it is not a nest. */
const char *cp_attr_nested(const char *set, int type);

#endif
