#include <iostream>

#include "commands.h"

int main(int argc, char** argv) { return tp::tradectl::main_with(argc, argv, std::cout, std::cerr); }
