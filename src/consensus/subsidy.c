#include "consensus/subsidy.h"

amount_t subsidy_at(uint64_t height, uint64_t halving_interval)
{
    if (halving_interval == 0)
        return 0;
    uint64_t halvings = height / halving_interval;
    /* Shifting a 64-bit value by 64 or more is undefined in C; by then
     * 50 coins have long shifted down to nothing anyway. */
    if (halvings >= 64)
        return 0;
    return SUBSIDY_INITIAL >> halvings;
}
