#include "datasets/book_groups.h"

#include <map>

namespace attnlab {

const std::vector<std::string>& book_group_names() {
  static const std::vector<std::string> names = {
      "Law", "History", "Wisdom and Poetry", "Major Prophets", "Minor Prophets", "Gospels and Acts",
      "Pauline Epistles", "General Epistles and Revelation"};
  return names;
}

int book_group(const std::string& book) {
  static const std::map<std::string, int> groups = [] {
    const std::vector<std::vector<std::string>> books = {
        {"Genesis", "Exodus", "Leviticus", "Numbers", "Deuteronomy"},
        {"Joshua", "Judges", "Ruth", "I Samuel", "II Samuel", "I Kings", "II Kings", "I Chronicles",
         "II Chronicles", "Ezra", "Nehemiah", "Esther"},
        {"Job", "Psalms", "Proverbs", "Ecclesiastes", "Song of Solomon"},
        {"Isaiah", "Jeremiah", "Lamentations", "Ezekiel", "Daniel"},
        {"Hosea", "Joel", "Amos", "Obadiah", "Jonah", "Micah", "Nahum", "Habakkuk", "Zephaniah", "Haggai",
         "Zechariah", "Malachi"},
        {"Matthew", "Mark", "Luke", "John", "Acts"},
        {"Romans", "I Corinthians", "II Corinthians", "Galatians", "Ephesians", "Philippians", "Colossians",
         "I Thessalonians", "II Thessalonians", "I Timothy", "II Timothy", "Titus", "Philemon"},
        {"Hebrews", "James", "I Peter", "II Peter", "I John", "II John", "III John", "Jude", "Revelation of John"}};
    std::map<std::string, int> m;
    for (size_t g = 0; g < books.size(); ++g)
      for (const auto& b : books[g]) m[b] = static_cast<int>(g);
    return m;
  }();
  auto it = groups.find(book);
  return it == groups.end() ? -1 : it->second;
}

std::string kjv_book_name(const std::string& book) { return book == "Revelation" ? "Revelation of John" : book; }

}  // namespace attnlab
