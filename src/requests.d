src/requests.o: src/requests.cpp src/pure_cpp.hpp src/requests.hpp \
 src/payloads.hpp src/error.hpp
src/pure_cpp.hpp:
src/requests.hpp:
src/payloads.hpp:
src/error.hpp:
