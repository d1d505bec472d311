#ifndef CLIBVIRT_SHIM_H
#define CLIBVIRT_SHIM_H
#include <stddef.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

/* libvirt's default error handler prints every error to stderr; unitop reports errors itself. */
static void unitop_vir_error_ignore(void *userData, virErrorPtr error) {
    (void)userData;
    (void)error;
}

/* Installs the no-op error handler for the whole process. */
static inline void unitop_vir_silence_errors(void) {
    virSetErrorFunc(NULL, unitop_vir_error_ignore);
}

/* virConnectDomainEventRegisterAny takes a generic callback that the caller casts with the
 * VIR_DOMAIN_EVENT_CALLBACK macro; Swift cannot use the macro, so the cast lives here. */
static inline int unitop_vir_register_lifecycle(virConnectPtr conn,
                                                virConnectDomainEventCallback cb,
                                                void *opaque, virFreeCallback freecb) {
    return virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                            VIR_DOMAIN_EVENT_CALLBACK(cb), opaque, freecb);
}
#endif
