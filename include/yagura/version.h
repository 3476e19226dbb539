#ifndef YAGURA_VERSION_H
#define YAGURA_VERSION_H
#define YG_VERSION_MAJOR 0
#define YG_VERSION_MINOR 1
#define YG_VERSION_PATCH 0
#define YG_VERSION_STRING "0.1.0"
const char *yg_version(void);
#endif
