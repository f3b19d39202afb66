/* TEMPORARY: parsers not written yet. */
#include "scan/lang/lang_int.h"
#include "util/err.h"
int lang__rpm_bdb_parse_buf(const uint8_t *b, size_t n, const struct scan_file *f, struct pkg_list *out) { (void)b; (void)n; (void)out; return dou_err_set(DOU_EUNSUPPORTED, "%s: todo", f->path); }
int lang__rpm_ndb_parse_buf(const uint8_t *b, size_t n, const struct scan_file *f, struct pkg_list *out) { (void)b; (void)n; (void)out; return dou_err_set(DOU_EUNSUPPORTED, "%s: todo", f->path); }
