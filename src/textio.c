/*-------------------------------------------------------------------------
 *
 * textio.c
 *	  A small strict reader for the canonical text forms of the extension's
 *	  types.  Every type writes a compact JSON object (fixed key order, no
 *	  optional whitespace, shortest exact floats) and reads it back with
 *	  these helpers, which report the character position of the first
 *	  problem with SQLSTATE 22P02 (syntax) or 22023 (value out of range).
 *
 *-------------------------------------------------------------------------
 */
#include "lifecycle.h"

#include <ctype.h>
#include <math.h>

#include "common/shortest_dec.h"
#include "utils/datetime.h"

/*
 * lc_parse_error - report a syntax error at the reader's position.
 */
void
lc_parse_error(LcReader *rd, const char *expected)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s: \"%s\"",
					rd->typname, rd->str),
			 errdetail("Expected %s at character %d.", expected,
					   (int) (rd->p - rd->str) + 1),
			 errhint("The form is %s.", rd->form)));
}

/*
 * lc_value_error - report a value that is well formed but out of range or
 * inconsistent, at position pos of the input.
 */
void
lc_value_error(LcReader *rd, const char *pos, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid %s: %s at character %d", rd->typname, what,
					(int) (pos - rd->str) + 1)));
}

/*
 * lc_skip_space - advance over JSON whitespace.
 */
void
lc_skip_space(LcReader *rd)
{
	while (*rd->p == ' ' || *rd->p == '\t' || *rd->p == '\n' || *rd->p == '\r')
		rd->p++;
}

/*
 * lc_expect - consume the literal token tok (after optional whitespace).
 */
void
lc_expect(LcReader *rd, const char *tok)
{
	size_t		len = strlen(tok);

	lc_skip_space(rd);
	if (strncmp(rd->p, tok, len) != 0)
		lc_parse_error(rd, psprintf("'%s'", tok));
	rd->p += len;
}

/*
 * lc_accept - consume tok if it comes next; report whether it did.
 */
bool
lc_accept(LcReader *rd, const char *tok)
{
	size_t		len = strlen(tok);

	lc_skip_space(rd);
	if (strncmp(rd->p, tok, len) == 0)
	{
		rd->p += len;
		return true;
	}
	return false;
}

/*
 * lc_expect_end - only whitespace may follow.
 */
void
lc_expect_end(LcReader *rd)
{
	lc_skip_space(rd);
	if (*rd->p != '\0')
		lc_parse_error(rd, "end of input");
}

/*
 * lc_parse_int - an integer between lo and hi (a JSON number without
 * fraction); what names it in messages.
 */
int64
lc_parse_int(LcReader *rd, int64 lo, int64 hi, const char *what)
{
	const char *start;
	uint64		u = 0;
	int64		v;
	bool		neg = false;

	lc_skip_space(rd);
	start = rd->p;
	if (*rd->p == '-')
	{
		neg = true;
		rd->p++;
	}
	if (!isdigit((unsigned char) *rd->p))
	{
		rd->p = start;
		lc_parse_error(rd, what);
	}
	/* accumulate the magnitude unsigned, so that PG_INT64_MIN is reachable */
	while (isdigit((unsigned char) *rd->p))
	{
		int			d = *rd->p - '0';

		if (u > (((uint64) PG_INT64_MAX + 1) - d) / 10)
		{
			rd->p = start;
			lc_parse_error(rd, what);
		}
		u = u * 10 + d;
		rd->p++;
	}
	if (!neg && u > (uint64) PG_INT64_MAX)
	{
		rd->p = start;
		lc_parse_error(rd, what);
	}
	v = neg ? (int64) (0 - u) : (int64) u;
	if (v < lo || v > hi)
		lc_value_error(rd, start, psprintf("%s out of range", what));
	return v;
}

/*
 * lc_parse_float - a finite JSON number.
 */
float8
lc_parse_float(LcReader *rd, const char *what)
{
	const char *start;
	char	   *end;
	char		buf[64];
	size_t		len;
	float8		v;

	lc_skip_space(rd);
	start = rd->p;
	while (*rd->p != '\0' && strchr("0123456789+-.eE", *rd->p) != NULL)
		rd->p++;
	len = rd->p - start;
	if (len == 0 || len >= sizeof(buf))
	{
		rd->p = start;
		lc_parse_error(rd, what);
	}
	memcpy(buf, start, len);
	buf[len] = '\0';
	errno = 0;
	v = strtod(buf, &end);
	if (*end != '\0' || end == buf)
	{
		rd->p = start;
		lc_parse_error(rd, what);
	}
	/* underflow to a denormal or zero is fine; overflow is not */
	if (!isfinite(v))
		lc_value_error(rd, start, psprintf("%s out of range", what));
	return v;
}

/*
 * lc_parse_string - a quoted string of at most buflen - 1 characters
 * without escapes, copied into buf.
 */
void
lc_parse_string(LcReader *rd, char *buf, int buflen, const char *what)
{
	const char *start;
	int			n = 0;

	lc_expect(rd, "\"");
	start = rd->p;
	while (*rd->p != '"' && *rd->p != '\0' && *rd->p != '\\' && n < buflen - 1)
		buf[n++] = *rd->p++;
	if (*rd->p != '"')
	{
		rd->p = start;
		lc_parse_error(rd, what);
	}
	buf[n] = '\0';
	rd->p++;
}

/*
 * lc_parse_date - a quoted "YYYY-MM-DD" date (year 1 to 294276), as days
 * since 2000-01-01.
 */
int32
lc_parse_date(LcReader *rd)
{
	const char *start;
	int			y = 0,
				m = 0,
				d = 0,
				nd = 0;

	lc_expect(rd, "\"");
	start = rd->p;
	while (isdigit((unsigned char) *rd->p) && nd < 7)
	{
		y = y * 10 + (*rd->p++ - '0');
		nd++;
	}
	if (nd < 4 || rd->p[0] != '-' ||
		!isdigit((unsigned char) rd->p[1]) || !isdigit((unsigned char) rd->p[2]) ||
		rd->p[3] != '-' ||
		!isdigit((unsigned char) rd->p[4]) || !isdigit((unsigned char) rd->p[5]) ||
		rd->p[6] != '"')
	{
		rd->p = start;
		lc_parse_error(rd, "a date YYYY-MM-DD");
	}
	m = (rd->p[1] - '0') * 10 + (rd->p[2] - '0');
	d = (rd->p[4] - '0') * 10 + (rd->p[5] - '0');
	if (y < 1 || y > 294276 || m < 1 || m > 12 || d < 1 ||
		d > day_tab[isleap(y)][m - 1])
		lc_value_error(rd, start, "date out of range");
	rd->p += 7;
	return date2j(y, m, d) - POSTGRES_EPOCH_JDATE;
}

/*
 * lc_expect_version - the opening of every canonical text form, {"v":N,
 * with N the version this build reads.
 */
void
lc_expect_version(LcReader *rd, int version)
{
	const char *pos;

	lc_expect(rd, "{");
	lc_expect(rd, "\"v\"");
	lc_expect(rd, ":");
	lc_skip_space(rd);
	pos = rd->p;
	if (lc_parse_int(rd, 0, 255, "a version") != version)
		lc_value_error(rd, pos, "unsupported version");
	lc_expect(rd, ",");
}

/*
 * lc_append_float - append the shortest exact decimal form of v (finite),
 * with negative zero written as 0 so that the text form is canonical.
 */
void
lc_append_float(StringInfo buf, float8 v)
{
	char		numbuf[DOUBLE_SHORTEST_DECIMAL_LEN];

	double_to_shortest_decimal_buf(v, numbuf);
	appendStringInfoString(buf, strcmp(numbuf, "-0") == 0 ? "0" : numbuf);
}

/*
 * lc_recv_need - in a binary input function, check that at least "bytes"
 * bytes remain in the message before reading fixed-width fields, so a
 * truncated value is reported as invalid binary input of the type (22P03)
 * rather than as a protocol violation.
 */
void
lc_recv_need(StringInfo msg, int bytes, const char *type_name)
{
	if (msg->len - msg->cursor < bytes)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary %s: %d bytes left where at least %d are needed",
						type_name, msg->len - msg->cursor, bytes),
				 errhint("The value is truncated or not a %s.", type_name)));
}
