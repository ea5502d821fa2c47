# Nightly fraud scoring, as run against DataRobot: find the deployment, score the day's
# transactions, submit the actuals that came in, and report what happened.
#
# usage: Rscript score_and_submit.R LABEL SCORING_CSV ACTUALS_CSV RESULT_JSON
library(datarobot)

main <- function(label, scoring_csv, actuals_csv, result_json) {
  ConnectToDataRobot(configPath = "~/.config/datarobot/drconfig.yaml")
  started <- Sys.time()

  deployments <- ListDeployments(search = label, orderBy = "label")
  matches <- Filter(function(d) identical(d$label, label), deployments)
  if (length(matches) == 0) {
    message("no deployment labelled ", label)
    return(2L)
  }
  deployment <- matches[[1]]

  scores <- Predict(deployment, read.csv(scoring_csv))
  flagged <- sum(scores >= 0.5)

  actuals <- read.csv(actuals_csv, stringsAsFactors = FALSE)
  actuals <- data.frame(associationId = actuals$association_id, actualValue = actuals$actual_value)
  ok <- tryCatch({
    SubmitActuals(actuals, deployment$id, batchSize = 1000)
    TRUE
  }, error = function(e) {
    message("actuals refused: ", conditionMessage(e))
    FALSE
  })
  if (!ok) return(1L)

  writeLines(sprintf(paste0('{"deployment": "%s", "model_version": "%s", "scored": %d, "flagged": %d, ',
                            '"actuals": %d, "seconds": %.3f}'),
                     deployment$id, deployment$model$version, length(scores), flagged, nrow(actuals),
                     as.numeric(difftime(Sys.time(), started, units = "secs"))), result_json)
  cat(sprintf("scored %d transactions, flagged %d, submitted %d actuals\n", length(scores), flagged, nrow(actuals)))
  0L
}

args <- commandArgs(trailingOnly = TRUE)
if (length(args) == 4) quit(status = do.call(main, as.list(args)))
