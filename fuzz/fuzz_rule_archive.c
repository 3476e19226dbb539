/* libFuzzer target: rule archives (-r sigma_core.zip): the input is written
 * as a .zip file and loaded with yg_compiler_add_path, which reads every
 * .yml/.yaml member within the size caps and reports the rest.
 * Seeds: zip archives of real SigmaHQ rule folders (fuzz/seeds.sh). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "yagura/yagura.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/yg-fuzz-archive-XXXXXX.zip";
    int fd = mkstemps(path, 4);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    yg_compiler *c;
    if (yg_compiler_create(&c, NULL))
        __builtin_trap();
    size_t before = yg_compiler_rule_count(c);
    (void)yg_compiler_add_path(c, path);
    if (yg_compiler_rule_count(c) < before)
        __builtin_trap();
    yg_rules *r = NULL;
    if (yg_compiler_get_rules(c, &r) == YG_OK)
        yg_rules_release(r);
    yg_compiler_destroy(c);
    unlink(path);
    return 0;
}
