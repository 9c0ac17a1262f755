// SPDX-License-Identifier: LGPL-2.1-or-later
#include "basic/json-util.h"
#include "basic/string-util.h"
#include "basic/version.h"
#include "ocsf.h"

void ocsf_write_class(yajl_gen g, long long time_ms, const struct ocsf_class *c)
{
	char type_name[128];

	yajl_gen_map_open(g);
	json_int(g, "time", time_ms);
	json_int(g, "class_uid", c->class_uid);
	json_str(g, "class_name", c->class_name);
	json_int(g, "category_uid", c->category_uid);
	json_str(g, "category_name", c->category_name);
	json_int(g, "activity_id", c->activity_id);
	json_str(g, "activity_name", c->activity_name);
	json_int(g, "type_uid", (long long)c->class_uid * 100 + c->activity_id);
	strbuf_printf(type_name, sizeof(type_name), "%s: %s", c->class_name, c->activity_name);
	json_str(g, "type_name", type_name);
	json_int(g, "severity_id", c->severity_id);
	json_str(g, "severity", c->severity);
}

void ocsf_write_metadata(yajl_gen g, const char *log_name, const char *const *profiles)
{
	json_open(g, "metadata");
	json_str(g, "version", OCSF_SCHEMA_VERSION);
	json_open(g, "product");
	json_str(g, "name", "postured");
	json_str(g, "vendor_name", "postured");
	json_str(g, "version", POSTURED_VERSION);
	json_close(g);
	json_str(g, "log_name", log_name);
	if (profiles) {
		json_key(g, "profiles");
		yajl_gen_array_open(g);
		for (size_t i = 0; profiles[i]; i++)
			yajl_gen_string(g, (const unsigned char *)profiles[i], strlen(profiles[i]));
		yajl_gen_array_close(g);
	}
	json_close(g);
}
