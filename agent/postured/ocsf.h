/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every OCSF record the agent writes starts with: the class attributes
 * and the metadata object, so the schema version and the product are written
 * in one place.  format.c's records use it, and so does the spool's loss
 * record (format_loss.c).  It needs yajl alone: the programs that link the
 * spool (postured-sender above all) do not link format.c, which brings the
 * policy library, the checks and the process table with it.
 */
#ifndef POSTURED_OCSF_H
#define POSTURED_OCSF_H

#include <yajl/yajl_gen.h>

#define OCSF_SCHEMA_VERSION		 "1.9.0-dev"

#define OCSF_CLASS_PROCESS_ACTIVITY	 1007
#define OCSF_CLASS_COMPLIANCE_FINDING	 2003
#define OCSF_CLASS_DEVICE_INVENTORY_INFO 5001

/* A record's class and activity, as the schema names them. */
struct ocsf_class {
	int class_uid;
	const char *class_name;
	int category_uid;
	const char *category_name;
	int activity_id;
	const char *activity_name;
	int severity_id;
	const char *severity;
};

/*
 * Opens the record's object and writes time, the class and category, the
 * activity, type_uid (class_uid * 100 + activity_id) with its name, and the
 * severity.  The caller writes the rest and closes the object.
 */
void ocsf_write_class(yajl_gen g, long long time_ms, const struct ocsf_class *c);

/*
 * Writes "metadata": the schema version, the product, log_name (the spool's
 * kind of the record) and, when profiles is not NULL, the NULL-terminated
 * list of the profiles the record uses.
 */
void ocsf_write_metadata(yajl_gen g, const char *log_name, const char *const *profiles);

#endif
