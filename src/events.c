/*-------------------------------------------------------------------------
 *
 * events.c
 *	  The event lists that funnel_state and sequence_state collect: one
 *	  (timestamp, mask) pair per row, unsorted inside the aggregate and
 *	  sorted by the final functions; their text form [[us,mask],...] and
 *	  binary form (count, then int64 Unix microseconds and uint32 mask per
 *	  event), both validated on input.
 *
 *-------------------------------------------------------------------------
 */
#include "lifecycle.h"

#include "common/int.h"
#include "libpq/pqformat.h"
#include "utils/datetime.h"

/* microseconds between 1970-01-01 and 2000-01-01 (text and binary forms) */
#define UNIX_OFFSET_USECS	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY)

/*
 * reverse_bits32 - bit i moves to bit 31 - i.
 */
static inline uint32
reverse_bits32(uint32 v)
{
	v = ((v >> 1) & 0x55555555) | ((v & 0x55555555) << 1);
	v = ((v >> 2) & 0x33333333) | ((v & 0x33333333) << 2);
	v = ((v >> 4) & 0x0F0F0F0F) | ((v & 0x0F0F0F0F) << 4);
	v = ((v >> 8) & 0x00FF00FF) | ((v & 0x00FF00FF) << 8);
	return (v >> 16) | (v << 16);
}

/*
 * event_cmp - (timestamp ascending, reversed mask descending): on ties the
 * row whose lowest differing step is set comes first; mask 0 last.
 */
static int
event_cmp(const void *a, const void *b)
{
	const LcEvent *x = a;
	const LcEvent *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	return 0;
}

/*
 * lc_events_sorted - the n packed events unpacked into a palloc'd array,
 * in event_cmp order.
 */
LcEvent *
lc_events_sorted(const char *events, int n)
{
	LcEvent    *ev = palloc(sizeof(LcEvent) * Max(n, 1));

	for (int i = 0; i < n; i++)
	{
		lc_event_get(events, i, &ev[i].ts, &ev[i].mask);
		ev[i].key = reverse_bits32(ev[i].mask);
	}
	qsort(ev, n, sizeof(LcEvent), event_cmp);
	return ev;
}

/*
 * event_valid - an event of text or binary input: a timestamp in range
 * and a mask of nbits bits (0 only if allow_zero).  Returns the internal
 * timestamp in *ts.
 */
static bool
event_valid(int64 unix_us, int64 mask, int nbits, bool allow_zero, int64 *ts)
{
	if (mask < 0 || mask >= ((int64) 1 << nbits) || (mask == 0 && !allow_zero))
		return false;
	if (pg_sub_s64_overflow(unix_us, UNIX_OFFSET_USECS, ts) || !IS_VALID_TIMESTAMP(*ts))
		return false;
	return true;
}

/*
 * lc_events_write - append the text form [[us,mask],...] of n events.
 */
void
lc_events_write(StringInfo buf, const char *events, int n)
{
	appendStringInfoChar(buf, '[');
	for (int i = 0; i < n; i++)
	{
		int64		ts;
		uint32		mask;

		lc_event_get(events, i, &ts, &mask);
		appendStringInfo(buf, "%s[" INT64_FORMAT ",%u]", i > 0 ? "," : "",
						 ts + UNIX_OFFSET_USECS, mask);
	}
	appendStringInfoChar(buf, ']');
}

/*
 * lc_events_read - parse the text form [[us,mask],...]: at most max_events
 * events, each valid for nbits mask bits (mask_what names the mask in
 * syntax errors, invalid is the message for an invalid event).  Returns
 * the packed events (palloc'd) and their number in *n.
 */
char *
lc_events_read(LcReader *rd, int nbits, bool allow_zero, int max_events,
			   const char *mask_what, const char *invalid, int *n)
{
	int			cap = 16;
	char	   *events = palloc((Size) cap * LC_EVENT_SIZE);

	*n = 0;
	lc_expect(rd, "[");
	if (lc_accept(rd, "]"))
		return events;
	do
	{
		const char *pos;
		int64		unix_us;
		int64		mask;
		int64		ts;

		lc_expect(rd, "[");
		lc_skip_space(rd);
		pos = rd->p;
		unix_us = lc_parse_int(rd, PG_INT64_MIN + 10, PG_INT64_MAX, "a timestamp in microseconds");
		lc_expect(rd, ",");
		mask = lc_parse_int(rd, 0, PG_UINT32_MAX, mask_what);
		lc_expect(rd, "]");
		if (!event_valid(unix_us, mask, nbits, allow_zero, &ts))
			lc_value_error(rd, pos, invalid);
		if (*n >= max_events)
			lc_value_error(rd, pos, "too many events");
		if (*n == cap)
		{
			cap = (int) Min((int64) cap * 2, (int64) max_events);
			events = repalloc(events, (Size) cap * LC_EVENT_SIZE);
		}
		lc_event_put(events, (*n)++, ts, (uint32) mask);
	} while (lc_accept(rd, ","));
	lc_expect(rd, "]");
	return events;
}

/*
 * lc_events_send - append the binary form of n events: the count, then
 * each event's Unix microseconds and mask.
 */
void
lc_events_send(StringInfo buf, const char *events, int n)
{
	pq_sendint32(buf, n);
	for (int i = 0; i < n; i++)
	{
		int64		ts;
		uint32		mask;

		lc_event_get(events, i, &ts, &mask);
		pq_sendint64(buf, ts + UNIX_OFFSET_USECS);
		pq_sendint32(buf, mask);
	}
}

/*
 * lc_events_recv - read the binary form of an event list that must end
 * the message: at most max_events events, each valid for nbits mask bits.
 * Returns the packed events (palloc'd) and their number in *n; errors are
 * 22P03 naming type_name (with hint, if any, for an invalid event).
 */
char *
lc_events_recv(StringInfo msg, int nbits, bool allow_zero, int max_events,
			   const char *type_name, const char *hint, int *n)
{
	char	   *events;
	int			count;

	lc_recv_need(msg, 4, type_name);
	count = pq_getmsgint(msg, 4);
	if (count < 0 || count > max_events ||
		(Size) count * LC_EVENT_SIZE != (Size) (msg->len - msg->cursor))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid %s length in binary input", type_name)));
	events = palloc((Size) Max(count, 1) * LC_EVENT_SIZE);
	for (int i = 0; i < count; i++)
	{
		int64		unix_us = pq_getmsgint64(msg);
		uint32		mask = (uint32) pq_getmsgint(msg, 4);
		int64		ts;

		if (!event_valid(unix_us, (int64) mask, nbits, allow_zero, &ts))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid %s event %d in binary input", type_name, i + 1),
					 hint ? errhint("%s", hint) : 0));
		lc_event_put(events, i, ts, mask);
	}
	*n = count;
	return events;
}
