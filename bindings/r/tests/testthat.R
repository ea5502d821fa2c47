library(testthat)
library(libdbx)
test_check("libdbx")
