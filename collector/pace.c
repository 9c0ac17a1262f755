// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pace.h"

void pace_init(struct pace *p, double shed_above, uint64_t now, uint64_t seed)
{
	*p = (struct pace){ .shed_above = shed_above, .window_start = now, .state = seed | 1 };
}

/* Closes the window when a second has passed: its share becomes the one decided on. */
static void pace_roll(struct pace *p, uint64_t now)
{
	uint64_t length = now - p->window_start;

	if (now < p->window_start || length < PACE_WINDOW_USEC)
		return;
	/* However long the window ran: an idle stretch dilutes it, a slow batch fills it. */
	p->last_share = (double)p->busy / (double)length;
	if (p->last_share > 1)
		p->last_share = 1;
	p->window_start = now;
	p->busy = 0;
}

void pace_busy(struct pace *p, uint64_t start, uint64_t end)
{
	pace_roll(p, start);
	if (end > start)
		p->busy += end - start;
	pace_roll(p, end);
}

double pace_share(struct pace *p, uint64_t now)
{
	pace_roll(p, now);
	return p->last_share;
}

static double pace_random(struct pace *p)
{
	p->state ^= p->state << 13;
	p->state ^= p->state >> 7;
	p->state ^= p->state << 17;
	return (double)(p->state >> 11) / (double)(1ULL << 53);
}

unsigned pace_refuse(struct pace *p, uint64_t now)
{
	double share = pace_share(p, now), over;

	if (p->shed_above >= 1 || share <= p->shed_above)
		return 0;
	over = (share - p->shed_above) / (1 - p->shed_above);
	if (pace_random(p) >= over)
		return 0;
	return PACE_RETRY_MIN_SEC +
	       (unsigned)(over * (PACE_RETRY_MAX_SEC - PACE_RETRY_MIN_SEC) + 0.5);
}
