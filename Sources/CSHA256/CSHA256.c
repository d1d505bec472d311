#include "CSHA256.h"
#include <openssl/evp.h>

struct unitop_sha256 { EVP_MD_CTX *ctx; };

unitop_sha256 *unitop_sha256_new(void) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL) return NULL;
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) { EVP_MD_CTX_free(ctx); return NULL; }
    unitop_sha256 *hash = OPENSSL_malloc(sizeof *hash);
    if (hash == NULL) { EVP_MD_CTX_free(ctx); return NULL; }
    hash->ctx = ctx;
    return hash;
}

int unitop_sha256_update(unitop_sha256 *hash, const void *bytes, size_t length) {
    return EVP_DigestUpdate(hash->ctx, bytes, length) == 1 ? 0 : -1;
}

int unitop_sha256_final(unitop_sha256 *hash, unsigned char digest[32]) {
    unsigned int n = 0;
    return EVP_DigestFinal_ex(hash->ctx, digest, &n) == 1 && n == 32 ? 0 : -1;
}

void unitop_sha256_free(unitop_sha256 *hash) {
    if (hash == NULL) return;
    EVP_MD_CTX_free(hash->ctx);
    OPENSSL_free(hash);
}
