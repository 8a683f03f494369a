/*
 * bench-floor.c - the bare libgcrypt floor of one XEP-0200 message.
 */
#include "config.h"

#include "bench-floor.h"
#include "bench-util.h"

#include <string.h>

#include <gcrypt.h>

#define BENCH_FLOOR_KEY 32
#define BENCH_FLOOR_MAC 32
#define BENCH_FLOOR_BLOCK 16

typedef struct {
	gcry_cipher_hd_t ctr;
	gcry_mac_hd_t mac;
	guint8 counter[BENCH_FLOOR_BLOCK];
} BenchFloorEnd;

struct _BenchFloor {
	BenchFloorEnd tx;
	BenchFloorEnd rx;
	size_t max_len;
	guint8 *buf;      /* sender's padded plaintext, then ciphertext */
	guint8 *rbuf;     /* receiver's decoded ciphertext, then plaintext */
	char *content;    /* "<data>BASE64</data>": on the wire, MACed */
	char b64_mac[64];
	guint8 tx_counter0[BENCH_FLOOR_BLOCK];
	guint8 tx_counter1[BENCH_FLOOR_BLOCK];
};

static void
bench_floor_end_init(BenchFloorEnd *e, const guint8 *key, const guint8 *mkey,
		     const guint8 *counter)
{
	gcry_error_t err;

	err = gcry_cipher_open(&e->ctr, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_CTR, 0);
	if (!err)
		err = gcry_cipher_setkey(e->ctr, key, BENCH_FLOOR_KEY);
	if (!err)
		err = gcry_mac_open(&e->mac, GCRY_MAC_HMAC_SHA256, 0, NULL);
	if (!err)
		err = gcry_mac_setkey(e->mac, mkey, BENCH_FLOOR_KEY);
	if (err)
		bench_fail("floor: libgcrypt", gcry_strerror(err));
	memcpy(e->counter, counter, BENCH_FLOOR_BLOCK);
}

BenchFloor *
bench_floor_new(size_t max_len)
{
	BenchFloor *f = g_new0(BenchFloor, 1);
	guint8 key[BENCH_FLOOR_KEY];
	guint8 mkey[BENCH_FLOOR_KEY];
	guint8 counter[BENCH_FLOOR_BLOCK];
	size_t padded = (max_len / BENCH_FLOOR_BLOCK + 1) * BENCH_FLOOR_BLOCK;

	gcry_randomize(key, sizeof(key), GCRY_STRONG_RANDOM);
	gcry_randomize(mkey, sizeof(mkey), GCRY_STRONG_RANDOM);
	gcry_randomize(counter, sizeof(counter), GCRY_STRONG_RANDOM);
	bench_floor_end_init(&f->tx, key, mkey, counter);
	bench_floor_end_init(&f->rx, key, mkey, counter);
	f->max_len = max_len;
	f->buf = g_malloc(padded);
	f->rbuf = g_malloc(padded + 3);
	f->content = g_malloc(padded * 4 / 3 + 32);
	return f;
}

/* C + n blocks, big-endian mod 2^128 */
static void
bench_floor_counter_add(guint8 c[BENCH_FLOOR_BLOCK], size_t n)
{
	int i;

	for (i = BENCH_FLOOR_BLOCK - 1; i >= 0 && n > 0; i--) {
		size_t v = c[i] + (n & 0xff);
		c[i] = (guint8)v;
		n = (n >> 8) + (v >> 8);
	}
}

/* mac = HMAC(KM, m_content || C), C as 16 bytes, before encryption
 * (INTEROP R6); m_content is "<data>BASE64</data>". */
static void
bench_floor_mac(BenchFloorEnd *e, const char *content, size_t len, guint8 out[BENCH_FLOOR_MAC])
{
	size_t mlen = BENCH_FLOOR_MAC;

	gcry_mac_write(e->mac, content, len);
	gcry_mac_write(e->mac, e->counter, BENCH_FLOOR_BLOCK);
	gcry_mac_read(e->mac, out, &mlen);
	gcry_mac_reset(e->mac);
}

/* AES-CTR with the counter pre-incremented (INTEROP R5), C advanced by the
 * blocks used. */
static void
bench_floor_crypt(BenchFloorEnd *e, guint8 *buf, size_t len)
{
	guint8 ctr[BENCH_FLOOR_BLOCK];

	memcpy(ctr, e->counter, BENCH_FLOOR_BLOCK);
	bench_floor_counter_add(ctr, 1);
	gcry_cipher_setctr(e->ctr, ctr, BENCH_FLOOR_BLOCK);
	gcry_cipher_encrypt(e->ctr, buf, len, NULL, 0);
	bench_floor_counter_add(e->counter, (len + BENCH_FLOOR_BLOCK - 1) / BENCH_FLOOR_BLOCK);
}

static size_t
bench_floor_b64(const guint8 *in, size_t len, char *out)
{
	int state = 0;
	int save = 0;
	size_t n;

	n = g_base64_encode_step(in, len, FALSE, out, &state, &save);
	n += g_base64_encode_close(FALSE, out + n, &state, &save);
	out[n] = '\0';
	return n;
}

#define BENCH_FLOOR_OPEN "<data>"
#define BENCH_FLOOR_CLOSE "</data>"

gboolean
bench_floor_oneway(BenchFloor *f, const char *msg, size_t len)
{
	size_t padded = (len + BENCH_FLOOR_BLOCK - 1) / BENCH_FLOOR_BLOCK * BENCH_FLOOR_BLOCK;
	const size_t open_len = sizeof(BENCH_FLOOR_OPEN) - 1;
	guint8 mac[BENCH_FLOOR_MAC];
	guint8 rmac[BENCH_FLOOR_MAC + 3];
	guint8 check[BENCH_FLOOR_MAC];
	size_t dlen;
	size_t content_len;
	size_t mlen;
	guint8 diff = 0;
	size_t i;
	int state = 0;
	guint save = 0;

	if (len > f->max_len)
		return FALSE;
	/* sender: pad with spaces to a multiple of 16 (XEP-0200), encrypt,
	 * base64 into <data/>, MAC with C from before the encryption */
	memcpy(f->buf, msg, len);
	memset(f->buf + len, ' ', padded - len);
	memcpy(f->tx_counter0, f->tx.counter, BENCH_FLOOR_BLOCK);
	bench_floor_crypt(&f->tx, f->buf, padded);
	memcpy(f->content, BENCH_FLOOR_OPEN, open_len);
	content_len = open_len + bench_floor_b64(f->buf, padded, f->content + open_len);
	memcpy(f->content + content_len, BENCH_FLOOR_CLOSE, sizeof(BENCH_FLOOR_CLOSE));
	content_len += sizeof(BENCH_FLOOR_CLOSE) - 1;
	memcpy(f->tx_counter1, f->tx.counter, BENCH_FLOOR_BLOCK);
	memcpy(f->tx.counter, f->tx_counter0, BENCH_FLOOR_BLOCK);
	bench_floor_mac(&f->tx, f->content, content_len, mac);
	memcpy(f->tx.counter, f->tx_counter1, BENCH_FLOOR_BLOCK);
	(void)bench_floor_b64(mac, sizeof(mac), f->b64_mac);

	/* receiver: MAC check first, then base64-decode and decrypt */
	mlen = g_base64_decode_step(f->b64_mac, strlen(f->b64_mac), rmac, &state, &save);
	if (mlen != BENCH_FLOOR_MAC)
		return FALSE;
	bench_floor_mac(&f->rx, f->content, content_len, check);
	for (i = 0; i < BENCH_FLOOR_MAC; i++)
		diff |= check[i] ^ rmac[i];
	if (diff != 0)
		return FALSE;
	state = 0;
	save = 0;
	dlen = g_base64_decode_step(f->content + open_len,
				    content_len - open_len - (sizeof(BENCH_FLOOR_CLOSE) - 1),
				    f->rbuf, &state, &save);
	if (dlen != padded)
		return FALSE;
	bench_floor_crypt(&f->rx, f->rbuf, dlen);
	return memcmp(f->rbuf, msg, len) == 0;
}

void
bench_floor_free(BenchFloor *f)
{
	if (f == NULL)
		return;
	gcry_cipher_close(f->tx.ctr);
	gcry_cipher_close(f->rx.ctr);
	gcry_mac_close(f->tx.mac);
	gcry_mac_close(f->rx.mac);
	g_free(f->buf);
	g_free(f->rbuf);
	g_free(f->content);
	g_free(f);
}
