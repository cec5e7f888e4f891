/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers shared by the libFuzzer targets: an oracle failure that says what
 * broke, and a strict UTF-8 check written independently of the libraries
 * under test (so that a bug in their validator is not copied into the check).
 */
#ifndef CG_FUZZ_UTIL_H
#define CG_FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An oracle failed: name it, then abort() so that libFuzzer saves the input. */
#define FUZZ_CHECK(cond)                                                          \
	do {                                                                      \
		if (!(cond)) {                                                    \
			fprintf(stderr, "%s:%d: oracle failed: %s\n", __FILE__,   \
				__LINE__, #cond);                                 \
			abort();                                                  \
		}                                                                 \
	} while (0)

/*
 * RFC 3629 UTF-8: shortest form only (no overlong encodings), no UTF-16
 * surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
 */
static inline bool
fuzz_utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		uint32_t cp, min;
		size_t k, more;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			more = 1;
			cp = c & 0x1f;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			more = 2;
			cp = c & 0x0f;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			more = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return false;	/* continuation byte first, or 0xf8..0xff */
		}
		if (n - i <= more)
			return false;
		for (k = 1; k <= more; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += more + 1;
	}
	return true;
}

#endif /* CG_FUZZ_UTIL_H */
