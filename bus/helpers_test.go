package bus_test
