# The schedule: a message on the scan topic every var.scan_schedule. Cloud Scheduler
# publishes as its service agent, which may publish to topics of its own project.
# https://cloud.google.com/scheduler/docs/creating#pubsub
resource "google_cloud_scheduler_job" "scan" {
  name      = "${var.name_prefix}-scan"
  region    = var.region
  schedule  = var.scan_schedule
  time_zone = var.scan_time_zone

  pubsub_target {
    topic_name = google_pubsub_topic.scan.id
    data       = base64encode(jsonencode({ trigger = "schedule" }))
  }

  retry_config {
    retry_count          = 3
    min_backoff_duration = "30s"
    max_backoff_duration = "300s"
  }

  depends_on = [google_project_service.apis]
}
