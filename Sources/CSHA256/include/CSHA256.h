#ifndef CSHA256_H
#define CSHA256_H
/*
 * SHA-256 from OpenSSL's libcrypto (EVP), for the content hashes of images uploaded to remote
 * libvirt hosts. libcrypto is a shared library every Debian system has (libssl3); linking it
 * costs no build time, where a vendored implementation (swift-crypto's BoringSSL) cost minutes.
 * OpenSSL's headers stay in CSHA256.c: Swift sees only these four functions.
 */
#include <stddef.h>

typedef struct unitop_sha256 unitop_sha256;

/* A new hash, or NULL when libcrypto cannot make one. */
unitop_sha256 *unitop_sha256_new(void);
/* Adds `length` bytes; 0 on success, -1 on failure. */
int unitop_sha256_update(unitop_sha256 *hash, const void *bytes, size_t length);
/* Writes the 32-byte digest; 0 on success, -1 on failure. The hash cannot be updated afterwards. */
int unitop_sha256_final(unitop_sha256 *hash, unsigned char digest[32]);
void unitop_sha256_free(unitop_sha256 *hash);

#endif
