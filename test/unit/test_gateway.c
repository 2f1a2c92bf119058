/* gateway.sqlite through gw_account: accounts inserted, read back, their
 * usernames unique, the two-phase password change and deletion. */
#include <stdio.h>
#include <string.h>

#include "fixture.h"
#include "gateway/gw_account.h"

START_TEST(placeholder_open)
{
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {placeholder_open, NULL};
    return fixture_suite("gateway_store", NULL, tests);
}
