# ECR repositories for the images CI builds, each keeping the last N images.

locals {
  repositories = toset([
    "api",
    "quality-cron",
    "rag-refresh-cron",
    "rag-indexer",
    "ollama-init",
    "otel-collector",
    "tempo",
  ])
}

resource "aws_ecr_repository" "image" {
  for_each = local.repositories

  name                 = "${var.project}/${each.key}"
  image_tag_mutability = "MUTABLE"
  force_delete         = var.environment != "prod"

  image_scanning_configuration {
    scan_on_push = true
  }
}

resource "aws_ecr_lifecycle_policy" "keep_last" {
  for_each = local.repositories

  repository = aws_ecr_repository.image[each.key].name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last ${var.ecr_keep_images} images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = var.ecr_keep_images
      }
      action = { type = "expire" }
    }]
  })
}
