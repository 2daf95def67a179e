# Third-party dependencies, all from Debian 12 packages (tools/install-deps.sh).
find_package(PkgConfig REQUIRED)
# Debian's cnats CMake config references a static library it does not ship,
# so cnats and libpqxx come from pkg-config.
pkg_check_modules(NATS REQUIRED IMPORTED_TARGET libnats)
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx)
find_package(OpenSSL REQUIRED)
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(prometheus-cpp CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(Eigen3 3.3 REQUIRED NO_MODULE)
find_package(GTest CONFIG REQUIRED)
find_package(Threads REQUIRED)
find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
