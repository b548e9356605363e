/*-------------------------------------------------------------------------
 *
 * btyd_pack.c
 *	  The packed flat form of a btyd_histogram: what a parallel worker's
 *	  histogram becomes in its tuple queue, and how it is read back.
 *-------------------------------------------------------------------------
 */
#include "btyd.h"

/*
 * The packed form (version BTYD_PACKED) is what an expanded state flattens
 * to for a parallel worker's tuple queue: the same header, then the
 * canonical cells as a byte stream, each a tag byte, then the fields the
 * tag announces, then y (8 bytes):
 *	  PK_X		x differs from the previous cell: a varint follows
 *	  PK_XRAW	... its 8 bytes instead (an x that is not a small integer)
 *	  PK_Z		z differs from the previous cell: 8 bytes
 *	  PK_WBYTE	w = 2 + the next byte
 *	  PK_WRAW	w: 8 bytes (neither W flag: w = 1)
 * The previous cell starts at x = z = +0.  Differences are in the bits, so
 * unpacking gives back every cell exactly.  A Gamma-Gamma cell takes 9 or
 * 10 bytes instead of 32.  The tag bits and PkReader are in btyd.h.  Input
 * functions never make a packed value, and every reader unpacks one
 * (btyd_get) or merges it as a run (the combine function and
 * btyd_state_arg in btyd.c), so none is stored.
 */

/*
 * pk_same - whether two doubles have the same bits.
 */
static inline bool
pk_same(float8 a, float8 b)
{
	return memcmp(&a, &b, sizeof(float8)) == 0;
}

/*
 * pk_small_int - whether v is an integer in [0, 2^53) whose bits are those
 * of its integer value converted back (-0 is not).
 */
static inline bool
pk_small_int(float8 v)
{
	return v >= 0 && v < 9007199254740992.0 && pk_same((float8) (uint64) v, v);
}

/*
 * pk_cell_size - bytes of cell c packed after cell prev; its tag in *tag.
 */
static inline int
pk_cell_size(const BtydCell *prev, const BtydCell *c, uint8 *tag)
{
	int			sz = 1 + 8;

	*tag = 0;
	if (!pk_same(prev->x, c->x))
	{
		if (pk_small_int(c->x))
		{
			uint64		v = (uint64) c->x;

			*tag |= PK_X;
			do
			{
				sz++;
				v >>= 7;
			} while (v);
		}
		else
		{
			*tag |= PK_XRAW;
			sz += 8;
		}
	}
	if (!pk_same(prev->z, c->z))
	{
		*tag |= PK_Z;
		sz += 8;
	}
	if (!pk_same(c->w, 1.0))
	{
		if (c->w >= 2 && c->w <= 257 && pk_same((float8) (int) c->w, c->w))
		{
			*tag |= PK_WBYTE;
			sz += 1;
		}
		else
		{
			*tag |= PK_WRAW;
			sz += 8;
		}
	}
	return sz;
}

/*
 * pk_size - size of the packed form of h (its cells canonical).
 */
Size
pk_size(const BtydHist *h)
{
	BtydCell	prev = {0, 0, 0, 1};
	Size		sz = BTYD_HDRSZ;
	uint8		tag;
	int			i;

	for (i = 0; i < h->n; i++)
	{
		sz += pk_cell_size(&prev, &h->c[i], &tag);
		prev = h->c[i];
	}
	return sz;
}

/*
 * pk_write - write the packed form of h (its cells canonical) into out,
 * which has size bytes (pk_size(h)).
 */
void
pk_write(const BtydHist *h, BtydHist *out, Size size)
{
	BtydCell	prev = {0, 0, 0, 1};
	unsigned char *p = (unsigned char *) out + BTYD_HDRSZ;
	int			i;

	memcpy(out, h, BTYD_HDRSZ);
	SET_VARSIZE(out, size);
	out->version = BTYD_PACKED;
	out->nsorted = h->n;
	for (i = 0; i < h->n; i++)
	{
		const BtydCell *c = &h->c[i];
		uint8		tag;

		(void) pk_cell_size(&prev, c, &tag);
		*p++ = tag;
		if (tag & PK_X)
		{
			uint64		v = (uint64) c->x;

			while (v >= 0x80)
			{
				*p++ = (unsigned char) (v | 0x80);
				v >>= 7;
			}
			*p++ = (unsigned char) v;
		}
		else if (tag & PK_XRAW)
		{
			memcpy(p, &c->x, 8);
			p += 8;
		}
		if (tag & PK_Z)
		{
			memcpy(p, &c->z, 8);
			p += 8;
		}
		if (tag & PK_WBYTE)
			*p++ = (unsigned char) ((int) c->w - 2);
		else if (tag & PK_WRAW)
		{
			memcpy(p, &c->w, 8);
			p += 8;
		}
		memcpy(p, &c->y, 8);
		p += 8;
		prev = *c;
	}
	Assert((Size) (p - (unsigned char *) out) == size);
}

/*
 * pk_corrupt - report a malformed packed histogram.
 */
static void
pk_corrupt(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("corrupt packed btyd_histogram value")));
}

/*
 * pk_open - start reading the cells of packed histogram h.
 */
void
pk_open(PkReader *r, const BtydHist *h)
{
	r->p = (const unsigned char *) h + BTYD_HDRSZ;
	r->end = (const unsigned char *) h + VARSIZE(h);
	r->left = h->n;
	r->c.x = r->c.z = 0;
	r->c.y = 0;
	r->c.w = 1;
}

/*
 * pk_next - read the next cell into r->c; false after the last one (then
 * the bytes must be used up).
 */
bool
pk_next(PkReader *r)
{
	uint8		tag;

	if (r->left == 0)
	{
		if (r->p != r->end)
			pk_corrupt();
		return false;
	}
	r->left--;
	if (r->end - r->p < 9)
		pk_corrupt();
	tag = *r->p++;
	if (tag & ~(PK_X | PK_XRAW | PK_Z | PK_WBYTE | PK_WRAW) ||
		(tag & PK_X && tag & PK_XRAW) || (tag & PK_WBYTE && tag & PK_WRAW))
		pk_corrupt();
	if (tag & PK_X)
	{
		uint64		v = 0;
		int			shift = 0;

		for (;;)
		{
			if (r->p >= r->end || shift > 49)
				pk_corrupt();
			v |= (uint64) (*r->p & 0x7F) << shift;
			if (!(*r->p++ & 0x80))
				break;
			shift += 7;
		}
		r->c.x = (float8) v;
	}
	else if (tag & PK_XRAW)
	{
		if (r->end - r->p < 8)
			pk_corrupt();
		memcpy(&r->c.x, r->p, 8);
		r->p += 8;
	}
	if (tag & PK_Z)
	{
		if (r->end - r->p < 8)
			pk_corrupt();
		memcpy(&r->c.z, r->p, 8);
		r->p += 8;
	}
	r->c.w = 1;
	if (tag & PK_WBYTE)
	{
		if (r->p >= r->end)
			pk_corrupt();
		r->c.w = 2 + *r->p++;
	}
	else if (tag & PK_WRAW)
	{
		if (r->end - r->p < 8)
			pk_corrupt();
		memcpy(&r->c.w, r->p, 8);
		r->p += 8;
	}
	if (r->end - r->p < 8)
		pk_corrupt();
	memcpy(&r->c.y, r->p, 8);
	r->p += 8;
	return true;
}

/*
 * pk_unpack - the flat form of packed histogram h.
 */
BtydHist *
pk_unpack(const BtydHist *h)
{
	BtydHist   *u;
	PkReader	rd;

	btyd_check_header(h);
	u = btyd_alloc(h->n, h->kind);
	u->flags = h->flags;
	u->penalizer = h->penalizer;
	pk_open(&rd, h);
	while (pk_next(&rd))
		u->c[u->n++] = rd.c;
	u->nsorted = u->n;
	return u;
}
