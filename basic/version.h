/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef POSTURED_VERSION_H
#define POSTURED_VERSION_H

#ifndef POSTURED_VERSION
#define POSTURED_VERSION "0.1.0"
#endif

#endif
