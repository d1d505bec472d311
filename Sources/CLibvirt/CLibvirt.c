/*
 * Lazy libvirt: every libvirt function unitop calls, defined with libvirt's own prototype (in
 * scope from <libvirt/libvirt.h>, so the compiler checks each signature) as a stub that
 * forwards through a pointer resolved from libvirt.so.0 on first use. See CLibvirt.h.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <stddef.h>
#include <sys/types.h>

/* Hidden: the stubs must not be exported from the unitop executable, or libvirt's own calls to
 * its public functions could bind to them instead of to libvirt's definitions. */
#pragma GCC visibility push(hidden)
#include "CLibvirt.h"

/*
 * X(return type, name, parameters, arguments, value returned when libvirt is unavailable)
 * Keep sorted. A function added here must be one libvirt.so.0 exports (checked at load).
 */
#define UNITOP_VIR_FUNCTIONS(X) \
    X(int, virConnectClose, (virConnectPtr conn), (conn), -1) \
    X(int, virConnectDomainEventDeregisterAny, (virConnectPtr conn, int callbackID), (conn, callbackID), -1) \
    X(int, virConnectDomainEventRegisterAny, \
      (virConnectPtr conn, virDomainPtr dom, int eventID, virConnectDomainEventGenericCallback cb, \
       void *opaque, virFreeCallback freecb), \
      (conn, dom, eventID, cb, opaque, freecb), -1) \
    X(int, virConnectGetAllDomainStats, \
      (virConnectPtr conn, unsigned int stats, virDomainStatsRecordPtr **retStats, unsigned int flags), \
      (conn, stats, retStats, flags), -1) \
    X(char *, virConnectGetCapabilities, (virConnectPtr conn), (conn), NULL) \
    X(int, virConnectIsAlive, (virConnectPtr conn), (conn), -1) \
    X(int, virConnectListAllDomains, (virConnectPtr conn, virDomainPtr **domains, unsigned int flags), \
      (conn, domains, flags), -1) \
    X(virConnectPtr, virConnectOpen, (const char *name), (name), NULL) \
    X(int, virConnectRef, (virConnectPtr conn), (conn), -1) \
    X(int, virConnectRegisterCloseCallback, \
      (virConnectPtr conn, virConnectCloseFunc cb, void *opaque, virFreeCallback freecb), \
      (conn, cb, opaque, freecb), -1) \
    X(int, virConnectSetKeepAlive, (virConnectPtr conn, int interval, unsigned int count), \
      (conn, interval, count), -1) \
    X(int, virConnectUnregisterCloseCallback, (virConnectPtr conn, virConnectCloseFunc cb), (conn, cb), -1) \
    X(int, virDomainCreate, (virDomainPtr domain), (domain), -1) \
    X(int, virDomainCreateWithFlags, (virDomainPtr domain, unsigned int flags), (domain, flags), -1) \
    X(virDomainPtr, virDomainCreateXML, (virConnectPtr conn, const char *xmlDesc, unsigned int flags), \
      (conn, xmlDesc, flags), NULL) \
    X(virDomainPtr, virDomainDefineXML, (virConnectPtr conn, const char *xml), (conn, xml), NULL) \
    X(int, virDomainDestroy, (virDomainPtr domain), (domain), -1) \
    X(int, virDomainFree, (virDomainPtr domain), (domain), -1) \
    X(unsigned int, virDomainGetID, (virDomainPtr domain), (domain), (unsigned int)-1) \
    X(int, virDomainGetInfo, (virDomainPtr domain, virDomainInfoPtr info), (domain, info), -1) \
    X(char *, virDomainGetMetadata, (virDomainPtr domain, int type, const char *uri, unsigned int flags), \
      (domain, type, uri, flags), NULL) \
    X(const char *, virDomainGetName, (virDomainPtr domain), (domain), NULL) \
    X(int, virDomainGetState, (virDomainPtr domain, int *state, int *reason, unsigned int flags), \
      (domain, state, reason, flags), -1) \
    X(int, virDomainGetUUIDString, (virDomainPtr domain, char *buf), (domain, buf), -1) \
    X(char *, virDomainGetXMLDesc, (virDomainPtr domain, unsigned int flags), (domain, flags), NULL) \
    X(int, virDomainInterfaceAddresses, \
      (virDomainPtr dom, virDomainInterfacePtr **ifaces, unsigned int source, unsigned int flags), \
      (dom, ifaces, source, flags), -1) \
    X(int, virDomainIsActive, (virDomainPtr dom), (dom), -1) \
    X(int, virDomainIsPersistent, (virDomainPtr dom), (dom), -1) \
    X(virDomainPtr, virDomainLookupByName, (virConnectPtr conn, const char *name), (conn, name), NULL) \
    X(int, virDomainMemoryStats, \
      (virDomainPtr dom, virDomainMemoryStatPtr stats, unsigned int nr_stats, unsigned int flags), \
      (dom, stats, nr_stats, flags), -1) \
    X(int, virDomainOpenConsole, (virDomainPtr dom, const char *dev_name, virStreamPtr st, unsigned int flags), \
      (dom, dev_name, st, flags), -1) \
    X(int, virDomainReset, (virDomainPtr domain, unsigned int flags), (domain, flags), -1) \
    X(int, virDomainResume, (virDomainPtr domain), (domain), -1) \
    X(int, virDomainSetMetadata, \
      (virDomainPtr domain, int type, const char *metadata, const char *key, const char *uri, unsigned int flags), \
      (domain, type, metadata, key, uri, flags), -1) \
    X(int, virDomainShutdown, (virDomainPtr domain), (domain), -1) \
    X(int, virDomainSuspend, (virDomainPtr domain), (domain), -1) \
    X(int, virDomainUndefine, (virDomainPtr domain), (domain), -1) \
    X(int, virEventRegisterDefaultImpl, (void), (), -1) \
    X(int, virEventRunDefaultImpl, (void), (), -1) \
    X(virErrorPtr, virGetLastError, (void), (), NULL) \
    X(int, virStoragePoolBuild, (virStoragePoolPtr pool, unsigned int flags), (pool, flags), -1) \
    X(int, virStoragePoolCreate, (virStoragePoolPtr pool, unsigned int flags), (pool, flags), -1) \
    X(virStoragePoolPtr, virStoragePoolDefineXML, (virConnectPtr conn, const char *xmlDesc, unsigned int flags), \
      (conn, xmlDesc, flags), NULL) \
    X(int, virStoragePoolFree, (virStoragePoolPtr pool), (pool), -1) \
    X(char *, virStoragePoolGetXMLDesc, (virStoragePoolPtr pool, unsigned int flags), (pool, flags), NULL) \
    X(int, virStoragePoolIsActive, (virStoragePoolPtr pool), (pool), -1) \
    X(int, virStoragePoolListAllVolumes, (virStoragePoolPtr pool, virStorageVolPtr **vols, unsigned int flags), \
      (pool, vols, flags), -1) \
    X(virStoragePoolPtr, virStoragePoolLookupByName, (virConnectPtr conn, const char *name), (conn, name), NULL) \
    X(int, virStoragePoolRefresh, (virStoragePoolPtr pool, unsigned int flags), (pool, flags), -1) \
    X(int, virStoragePoolSetAutostart, (virStoragePoolPtr pool, int autostart), (pool, autostart), -1) \
    X(int, virStoragePoolUndefine, (virStoragePoolPtr pool), (pool), -1) \
    X(virStorageVolPtr, virStorageVolCreateXML, (virStoragePoolPtr pool, const char *xmldesc, unsigned int flags), \
      (pool, xmldesc, flags), NULL) \
    X(virStorageVolPtr, virStorageVolCreateXMLFrom, \
      (virStoragePoolPtr pool, const char *xmldesc, virStorageVolPtr clonevol, unsigned int flags), \
      (pool, xmldesc, clonevol, flags), NULL) \
    X(int, virStorageVolDelete, (virStorageVolPtr vol, unsigned int flags), (vol, flags), -1) \
    X(int, virStorageVolDownload, \
      (virStorageVolPtr vol, virStreamPtr stream, unsigned long long offset, unsigned long long length, unsigned int flags), \
      (vol, stream, offset, length, flags), -1) \
    X(int, virStorageVolFree, (virStorageVolPtr vol), (vol), -1) \
    X(int, virStorageVolGetInfo, (virStorageVolPtr vol, virStorageVolInfoPtr info), (vol, info), -1) \
    X(int, virStorageVolGetInfoFlags, (virStorageVolPtr vol, virStorageVolInfoPtr info, unsigned int flags), \
      (vol, info, flags), -1) \
    X(const char *, virStorageVolGetName, (virStorageVolPtr vol), (vol), NULL) \
    X(char *, virStorageVolGetPath, (virStorageVolPtr vol), (vol), NULL) \
    X(char *, virStorageVolGetXMLDesc, (virStorageVolPtr vol, unsigned int flags), (vol, flags), NULL) \
    X(virStorageVolPtr, virStorageVolLookupByName, (virStoragePoolPtr pool, const char *name), (pool, name), NULL) \
    X(int, virStorageVolUpload, \
      (virStorageVolPtr vol, virStreamPtr stream, unsigned long long offset, unsigned long long length, unsigned int flags), \
      (vol, stream, offset, length, flags), -1) \
    X(int, virStreamAbort, (virStreamPtr st), (st), -1) \
    X(int, virStreamEventAddCallback, \
      (virStreamPtr stream, int events, virStreamEventCallback cb, void *opaque, virFreeCallback ff), \
      (stream, events, cb, opaque, ff), -1) \
    X(int, virStreamEventRemoveCallback, (virStreamPtr stream), (stream), -1) \
    X(int, virStreamFinish, (virStreamPtr st), (st), -1) \
    X(int, virStreamFree, (virStreamPtr st), (st), -1) \
    X(virStreamPtr, virStreamNew, (virConnectPtr conn, unsigned int flags), (conn, flags), NULL) \
    X(int, virStreamRecv, (virStreamPtr st, char *data, size_t nbytes), (st, data, nbytes), -1) \
    X(int, virStreamSend, (virStreamPtr st, const char *data, size_t nbytes), (st, data, nbytes), -1)

/* From libvirt-qemu.so.0 (same X form as UNITOP_VIR_FUNCTIONS). */
#define UNITOP_VIRQEMU_FUNCTIONS(X) \
    X(int, virDomainQemuMonitorCommand, (virDomainPtr domain, const char *cmd, char **result, unsigned int flags), \
      (domain, cmd, result, flags), -1)

/* Functions returning void: X(name, parameters, arguments). */
#define UNITOP_VIR_VOID_FUNCTIONS(X) \
    X(virDomainStatsRecordListFree, (virDomainStatsRecordPtr *stats), (stats)) \
    X(virDomainInterfaceFree, (virDomainInterfacePtr iface), (iface)) \
    X(virSetErrorFunc, (void *userData, virErrorFunc handler), (userData, handler))

/* One pointer per function, typed from libvirt's own prototype. Written once, inside load(). */
#define UNITOP_VIR_POINTER(ret, name, params, args, fail) static __typeof__(&name) p_##name;
#define UNITOP_VIR_VOID_POINTER(name, params, args) static __typeof__(&name) p_##name;
UNITOP_VIR_FUNCTIONS(UNITOP_VIR_POINTER)
UNITOP_VIRQEMU_FUNCTIONS(UNITOP_VIR_POINTER)
UNITOP_VIR_VOID_FUNCTIONS(UNITOP_VIR_VOID_POINTER)

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error_text[512];
static const char *load_error = NULL;
static char qemu_load_error_text[512];
static const char *qemu_load_error = NULL;

/* Keeps the first error only (the one that explains the rest). */
static void record_error(const char *what) {
    if (load_error != NULL) return;
    snprintf(load_error_text, sizeof load_error_text, "%s", what ? what : "unknown dlopen error");
    load_error = load_error_text;
}

static void *resolve(void *handle, const char *name) {
    dlerror();
    void *symbol = dlsym(handle, name);
    if (symbol == NULL) {
        const char *why = dlerror();
        char text[256];
        if (why != NULL) snprintf(text, sizeof text, "%s", why);
        else snprintf(text, sizeof text, UNITOP_LIBVIRT_SONAME ": no symbol %s", name);
        record_error(text);
    }
    return symbol;
}

static void load(void) {
    /* Never closed: libvirt keeps threads and callbacks for the life of the process. */
    void *handle = dlopen(UNITOP_LIBVIRT_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        record_error(dlerror());
        return;
    }
#define UNITOP_VIR_RESOLVE(ret, name, params, args, fail) p_##name = (__typeof__(&name))resolve(handle, #name);
#define UNITOP_VIR_VOID_RESOLVE(name, params, args) p_##name = (__typeof__(&name))resolve(handle, #name);
    UNITOP_VIR_FUNCTIONS(UNITOP_VIR_RESOLVE)
    UNITOP_VIR_VOID_FUNCTIONS(UNITOP_VIR_VOID_RESOLVE)

    /* Optional: its failure is recorded apart and leaves the rest of libvirt usable. */
    void *qemu = dlopen(UNITOP_LIBVIRT_QEMU_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (qemu == NULL) {
        const char *why = dlerror();
        snprintf(qemu_load_error_text, sizeof qemu_load_error_text, "%s", why ? why : "unknown dlopen error");
        qemu_load_error = qemu_load_error_text;
        return;
    }
#define UNITOP_VIRQEMU_RESOLVE(ret, name, params, args, fail) \
    dlerror(); \
    p_##name = (__typeof__(&name))dlsym(qemu, #name); \
    if (p_##name == NULL && qemu_load_error == NULL) { \
        snprintf(qemu_load_error_text, sizeof qemu_load_error_text, UNITOP_LIBVIRT_QEMU_SONAME ": no symbol %s", #name); \
        qemu_load_error = qemu_load_error_text; \
    }
    UNITOP_VIRQEMU_FUNCTIONS(UNITOP_VIRQEMU_RESOLVE)
}

static inline void ensure_loaded(void) { pthread_once(&load_once, load); }

const char *unitop_vir_load_error(void) {
    ensure_loaded();
    return load_error;
}

const char *unitop_virqemu_load_error(void) {
    ensure_loaded();
    return load_error != NULL ? load_error : qemu_load_error;
}

/* The stubs: libvirt's names and prototypes, forwarding to the loaded library. */
#define UNITOP_VIR_STUB(ret, name, params, args, fail) \
    ret name params { \
        ensure_loaded(); \
        if (p_##name == NULL) return fail; \
        return p_##name args; \
    }
#define UNITOP_VIR_VOID_STUB(name, params, args) \
    void name params { \
        ensure_loaded(); \
        if (p_##name != NULL) p_##name args; \
    }
UNITOP_VIR_FUNCTIONS(UNITOP_VIR_STUB)
UNITOP_VIRQEMU_FUNCTIONS(UNITOP_VIR_STUB)
UNITOP_VIR_VOID_FUNCTIONS(UNITOP_VIR_VOID_STUB)

static void unitop_vir_error_ignore(void *userData, virErrorPtr error) {
    (void)userData;
    (void)error;
}

void unitop_vir_silence_errors(void) { virSetErrorFunc(NULL, unitop_vir_error_ignore); }

int unitop_vir_register_lifecycle(virConnectPtr conn, virConnectDomainEventCallback cb,
                                  void *opaque, virFreeCallback freecb) {
    return virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                            VIR_DOMAIN_EVENT_CALLBACK(cb), opaque, freecb);
}

#pragma GCC visibility pop
