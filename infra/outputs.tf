output "gitlab_webhook_url" {
  description = "Paste into GitLab: Settings > Webhooks > URL (with the secret token from credrot-gitlab-webhook-secret)."
  value       = google_cloudfunctions2_function.gitlab_webhook.service_config[0].uri
}

output "github_webhook_url" {
  description = "Paste into GitHub: Settings > Webhooks > Payload URL (content type application/json, secret from credrot-github-webhook-secret)."
  value       = google_cloudfunctions2_function.github_webhook.service_config[0].uri
}

output "jobs_topic" {
  description = "The queue of the configuration: queue: { type: pubsub, project: <project_id>, topic: <this> }."
  value       = google_pubsub_topic.jobs.name
}

output "jobs_dead_letter_subscription" {
  description = "Jobs that failed var.max_delivery_attempts times wait here for a person."
  value       = google_pubsub_subscription.jobs_dead_letter.name
}

output "secret_rotation_topic" {
  description = "Topic the managed secrets publish SECRET_ROTATE to."
  value       = google_pubsub_topic.secret_rotation.id
}

output "config_secret" {
  description = "Add credrot.config.yaml as a version of this secret."
  value       = google_secret_manager_secret.config.id
}

output "service_accounts" {
  description = "The identity of each function."
  value = {
    gitlab_webhook = google_service_account.gitlab_webhook.email
    github_webhook = google_service_account.github_webhook.email
    scan           = google_service_account.scan.email
    worker         = google_service_account.worker.email
    rotate         = google_service_account.rotate.email
    invoker        = google_service_account.invoker.email
  }
}
