// The eight book groups of the Protestant canon that `verse_classification` predicts.
#pragma once

#include <string>
#include <vector>

namespace attnlab {

// Law, History, Wisdom and Poetry, Major Prophets, Minor Prophets, Gospels and Acts,
// Pauline Epistles, General Epistles and Revelation: class ids 0..7 in this order.
const std::vector<std::string>& book_group_names();

// The group id of a book as the SWORD KJV names it ("Genesis", "I Samuel", "Song of Solomon",
// "Revelation of John"), or -1 for an unknown book.
int book_group(const std::string& book);

// The KJV module's name for a book another SWORD module names differently (Scofield's
// "Revelation"); any other name unchanged.
std::string kjv_book_name(const std::string& book);

}  // namespace attnlab
