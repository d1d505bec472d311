#ifndef CLIBVIRT_H
#define CLIBVIRT_H
/*
 * The libvirt C API for the libvirt backend, loaded lazily.
 *
 * The libvirt headers give the types, constants and prototypes. unitop does not link libvirt:
 * libvirt.so.0 pulls in ~55 shared libraries (glib, gnutls, curl, krb5, ...) at every process
 * start, even when only the qemu backend is used. Instead, CLibvirt.c defines each libvirt
 * function unitop calls as a stub that loads libvirt.so.0 with dlopen on first use and forwards
 * to the real function. When the library cannot be loaded, the stubs return the function's
 * failure value (NULL or -1) and unitop_vir_load_error() says why.
 */
#include <stddef.h>
#include <sys/types.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libvirt/libvirt-qemu.h>

/* The soname loaded at first use. */
#define UNITOP_LIBVIRT_SONAME "libvirt.so.0"
/* libvirt's QEMU-specific library (QMP pass-through), loaded with the first; optional. */
#define UNITOP_LIBVIRT_QEMU_SONAME "libvirt-qemu.so.0"

/* Loads libvirt.so.0 if not done yet (once per process, thread-safe). Returns NULL when every
 * function unitop uses was resolved, otherwise the loader's message (dlerror text); the string
 * lives as long as the process. */
const char *unitop_vir_load_error(void);

/* NULL when libvirt-qemu.so.0 and its functions were loaded, otherwise why not (the QEMU-specific
 * calls then fail with -1; the rest of libvirt works without them). */
const char *unitop_virqemu_load_error(void);

/* Installs a no-op libvirt error handler for the whole process: libvirt's default handler prints
 * every error to stderr, and unitop reports errors itself. */
void unitop_vir_silence_errors(void);

/* virConnectDomainEventRegisterAny takes a generic callback that the caller casts with the
 * VIR_DOMAIN_EVENT_CALLBACK macro; Swift cannot use the macro, so the cast lives here. */
int unitop_vir_register_lifecycle(virConnectPtr conn, virConnectDomainEventCallback cb,
                                  void *opaque, virFreeCallback freecb);
#endif
