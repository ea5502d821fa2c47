library(testthat)
library(libdbx)
test_check("libdbx", reporter = ProgressReporter$new(show_praise = FALSE))
