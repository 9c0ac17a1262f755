// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>

#include "json-util.h"

int json_gen_tree(yajl_gen g, yajl_val v, int depth_left)
{
	if (depth_left < 0)
		return -EINVAL;
	if (!v) {
		yajl_gen_null(g);
		return 0;
	}
	switch (v->type) {
	case yajl_t_string:
		yajl_gen_string(g, (const unsigned char *)v->u.string, strlen(v->u.string));
		return 0;
	case yajl_t_number:
		/* The number's own text, so nothing is lost to a double. */
		yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
		return 0;
	case yajl_t_true:
	case yajl_t_false:
		yajl_gen_bool(g, v->type == yajl_t_true);
		return 0;
	case yajl_t_null:
		yajl_gen_null(g);
		return 0;
	case yajl_t_array:
		yajl_gen_array_open(g);
		for (size_t i = 0; i < v->u.array.len; i++) {
			int r = json_gen_tree(g, v->u.array.values[i], depth_left - 1);

			if (r < 0)
				return r;
		}
		yajl_gen_array_close(g);
		return 0;
	case yajl_t_object:
		yajl_gen_map_open(g);
		for (size_t i = 0; i < v->u.object.len; i++) {
			int r;

			json_key(g, v->u.object.keys[i]);
			r = json_gen_tree(g, v->u.object.values[i], depth_left - 1);
			if (r < 0)
				return r;
		}
		yajl_gen_map_close(g);
		return 0;
	default:
		return -EINVAL;
	}
}
