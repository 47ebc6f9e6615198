src/payloads.o: src/payloads.cpp src/pure_cpp.hpp src/payloads.hpp \
 src/json.hpp src/error.hpp
src/pure_cpp.hpp:
src/payloads.hpp:
src/json.hpp:
src/error.hpp:
