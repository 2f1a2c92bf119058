#include <check.h>
#include "fixture.h"
Suite *unit_suite(void)
{
    const TTest *tests[] = {NULL};
    return fixture_suite("market", NULL, tests);
}
