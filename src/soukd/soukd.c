/* soukd: the souk full node daemon. Everything happens in init.c. */
#include "soukd/init.h"

int main(int argc, char *argv[])
{
    return init_main(argc, argv);
}
