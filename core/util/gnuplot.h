// Drawing with gnuplot (Debian's gnuplot-nox): runs a script that sits in a folder beside its
// data, so that the folder redraws its pictures by hand too. LibTorch-free.
#pragma once

#include <string>

namespace attnlab {

// Runs `gnuplot SCRIPT` in `dir`, its output kept in dir/gnuplot.log. Throws naming the
// package to install when gnuplot is missing (`what_is_kept` says what was written anyway),
// or with gnuplot's log when the script fails.
void run_gnuplot(const std::string& dir, const std::string& script, const std::string& what_is_kept);

}  // namespace attnlab
